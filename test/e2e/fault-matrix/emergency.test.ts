import { emergency, faultMatrix } from './harness';

// Every case is an emergency rotation of the user's key: the exposed key is cut off as soon as
// the new one is current, so the matrix runs the emergency path (DeactivateExposedKey, Forensics).
faultMatrix(emergency);
