/** The bootstrap admin key the console tests start the admin app with. */
export const ADMIN_KEY = 'console-test-admin-key-0123456789abcdef';
