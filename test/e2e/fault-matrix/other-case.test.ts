import { faultMatrix, otherCase } from './harness';

// Every case starts the rotation with the user name in upper case.
faultMatrix(otherCase);
