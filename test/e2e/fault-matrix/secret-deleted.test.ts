import { faultMatrix, secretDeleted } from './harness';

// A person schedules the secret for deletion as soon as the new key is promoted, and restores
// it before the re-run: rekey must stop before its next change and resume afterwards.
faultMatrix(secretDeleted);
