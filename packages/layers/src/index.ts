export { Module, ModuleList, Parameter, StateDictError, matchesPattern, type CheckpointLayout, type LoadStateDictResult, type NamePattern } from './module.js';
