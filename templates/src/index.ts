/** @mage-int/templates — scaffolds for `mage-int new source|destination <name>`. */
export {
  scaffoldConnector,
  listTemplates,
  findWorkspaceRoot,
  TEMPLATES_DIR,
  TOOL_VERSIONS,
  type ScaffoldOptions,
  type ScaffoldResult,
  type TemplateInfo,
} from './scaffold.js';
