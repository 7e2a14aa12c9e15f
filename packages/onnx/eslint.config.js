export { default } from '@tfkit/eslint-config';
