import { faultMatrix, handMadeKey } from './harness';

// A person makes a key by hand once the rotation starts changing the secret, and removes it
// before the re-run: rekey must never take it for its own.
faultMatrix(handMadeKey());
