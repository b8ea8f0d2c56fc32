/** Names of rows in the ledger's settings table. */
/** The ledger key of the last good fleet policy envelope. */
export const POLICY_SETTING = "policy.envelope";
/** The highest policy version ever applied (replay floor; kept through wipes). */
export const POLICY_FLOOR_SETTING = "policy.floor";
/** Which topic the stored policy came from ("fleet" or "device"). */
export const POLICY_SOURCE_SETTING = "policy.source";

/** Household setting names in the ledger's settings table. */
export const TRAINING_USE_SETTING = "trainingUse";
