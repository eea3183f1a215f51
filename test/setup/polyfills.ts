// aws-local-stepfunctions 3 targets Node 22; Node 20 lacks Promise.withResolvers.
import '../../sandbox/polyfills';
