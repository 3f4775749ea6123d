// Entry point for bundleWorkflowCode: every workflow the worker runs.
export { governedActionWorkflow } from './governed-action.js';
