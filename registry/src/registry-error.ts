import { MageError } from '@mage-int/core';

/** A registry or npm operation failed: not logged in, version already published, package not found, … */
export class RegistryError extends MageError {}
