import { deadLetter, done, type InboundCallback } from '@app/core';

/**
 * Example inbound callback — how a team adds its own logic in TypeScript when rules are
 * not enough. Registered as `github-issues`; attach it to an inbound handler with
 * `executionMode: "callback", callback: "github-issues"` and a `github` preset endpoint.
 *
 * It keeps one `github_issues` record per repository issue, tracking its state and the
 * labels it carried, and dead-letters payloads that are not issue events.
 */
interface IssuePayload {
  action?: string;
  issue?: {
    number?: number;
    title?: string;
    state?: string;
    labels?: Array<{ name?: string }>;
    html_url?: string;
  };
  repository?: { full_name?: string };
}

export const githubIssuesCallback: InboundCallback = async ({ event, records, log }) => {
  const payload = (event.payload ?? {}) as IssuePayload;
  const issue = payload.issue;
  const repository = payload.repository?.full_name;
  if (!issue || typeof issue.number !== 'number' || !repository) {
    return deadLetter(
      'not a GitHub issues event: issue.number and repository.full_name are required',
    );
  }
  const record = await records.upsert(
    'github_issues',
    [
      { field: 'repository', value: repository },
      { field: 'number', value: issue.number },
    ],
    {
      repository,
      number: issue.number,
      title: issue.title ?? null,
      state: issue.state ?? null,
      lastAction: payload.action ?? null,
      labels: (issue.labels ?? []).map((label) => label.name).filter(Boolean),
      url: issue.html_url ?? null,
    },
  );
  log(`issue ${repository}#${issue.number} ${record.created ? 'created' : 'updated'}`, {
    recordId: record.id,
  });
  return done();
};
