// Bundle entry of the bench worker: both variants on one task queue.
export { governedActionWorkflow } from '../workflows/governed-action.js';
export { bareWorkflow } from './bare-workflow.js';
