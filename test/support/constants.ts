/** The bootstrap token every test platform is started with (TIDINGS_BOOTSTRAP_TOKEN): it creates organisations. */
export const BOOTSTRAP_TOKEN = 'test-bootstrap-token-0123456789';
