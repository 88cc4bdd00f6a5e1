import { Migration20261123000000InitialSchema } from './Migration20261123000000_initial_schema.js';

/** Applied in this order; never edit a migration that has shipped, add a new one. */
export const MIGRATIONS = [
  { name: 'Migration20261123000000_initial_schema', class: Migration20261123000000InitialSchema },
];
