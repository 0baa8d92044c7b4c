import { BadRequestException } from '@nestjs/common';
import { CreateHandlerDto } from '../handlers/handler.dto';
import { CreateOutboundEndpointDto } from '../outbound-endpoints/outbound-endpoint.dto';
import { createValidationPipe } from './validation';

/** The admin validation pipe answers one 400 that names every bad field, nested ones too. */
async function problems(
  metatype: new () => object,
  body: unknown,
): Promise<{ message: string; details: Array<{ field: string; problems: string[] }> }> {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse() as never;
  }
  throw new Error('the body was accepted');
}

describe('createValidationPipe', () => {
  it('lists every bad field at once, with nested paths', async () => {
    const answer = await problems(CreateHandlerDto, {
      code: 'Not A Slug',
      name: 42,
      direction: 'sideways',
      executionMode: 'rules',
      rules: [{ sequence: -1, name: 'r', action: 'nope' }, { name: 'ok' }],
    });
    const fields = answer.details.map((d) => d.field).sort();
    expect(fields).toEqual([
      'code',
      'direction',
      'name',
      'rules.0.action',
      'rules.0.sequence',
      'rules.1.action',
      'rules.1.sequence',
    ]);
    expect(answer.message).toBe(
      `validation failed: ${answer.details.map((d) => d.field).join(', ')}`,
    );
    // Every problem of a field is kept, not just the first.
    const sequence = answer.details.find((d) => d.field === 'rules.1.sequence');
    expect(sequence?.problems.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses unknown fields by name, alongside the other problems', async () => {
    const answer = await problems(CreateOutboundEndpointDto, {
      code: 'crm',
      name: 'CRM',
      targetHost: 'https://crm.example.com',
      surprise: true,
      retryPolicy: { maxAttempts: 'ten', alsoSurprise: 1 },
    });
    const fields = answer.details.map((d) => d.field).sort();
    expect(fields).toEqual(['retryPolicy.alsoSurprise', 'retryPolicy.maxAttempts', 'surprise']);
    expect(answer.details.find((d) => d.field === 'surprise')?.problems).toEqual([
      'property surprise should not exist',
    ]);
  });

  // Found by the adversarial admin suite (issue 21): 50,000 empty payload rules in a
  // 300 KB body got a 12.8 MB answer listing 100,000 problems, after seconds of validation.
  it('refuses an array past its @ArrayMaxSize by name, before validating its items', async () => {
    const answer = await problems(CreateOutboundEndpointDto, {
      code: 'crm',
      name: 'CRM',
      targetHost: 'https://crm.example.com',
      payloadRules: Array.from({ length: 50_000 }, () => ({})),
    });
    expect(answer.details).toEqual([
      { field: 'payloadRules', problems: ['payloadRules must contain no more than 100 elements'] },
    ]);
  });

  it('names at most 50 bad fields in one answer, and says how many more there are', async () => {
    const answer = await problems(CreateHandlerDto, {
      code: 'gh',
      name: 'GitHub',
      direction: 'inbound',
      executionMode: 'rules',
      rules: Array.from({ length: 5_000 }, () => ({})),
    });
    expect(answer.details).toHaveLength(50);
    expect(answer.message).toMatch(/^validation failed: rules\.0\.\w+, .* and \d+ more$/);
    expect(JSON.stringify(answer).length).toBeLessThan(20_000);
  });

  it('accepts a valid body and turns it into the DTO class', async () => {
    const dto = await createValidationPipe().transform(
      { code: 'gh', name: 'GitHub', direction: 'inbound', executionMode: 'rules' },
      { type: 'body', metatype: CreateHandlerDto },
    );
    expect(dto).toBeInstanceOf(CreateHandlerDto);
  });
});
