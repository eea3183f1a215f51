export * from './key-rotation';
export * from './key-rotation-props';
export * from './rekey-function';
export * from './rekey-stack';
export * from './rotation-workflow';
export * from './permissions';
export * from './app';
export * from './app-context';
