/** @mage-int/ui — a local web UI over a project's pipeline files and `.mage-int/` state. */
export { startUi, type UiOptions, type UiServer } from './ui-server.js';
export { Project } from './project.js';
