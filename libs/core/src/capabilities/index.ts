/** What this build of core can do, described for clients (the admin API, the console). */
export * from './capabilities';
