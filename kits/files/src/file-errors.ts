import { ConnectorError, type MageErrorOptions } from '@mage-int/core';

/** Where in which file a value was: the stream, the file's key and the line (or row) in it. */
export interface FilePlace {
  stream?: string;
  file: string;
  line?: number;
  field?: string;
}

/** A file whose content cannot be read as its format says, or a value that does not fit its field's type. */
export class FileDataError extends ConnectorError {
  readonly file: string;

  constructor(code: string, message: string, place: FilePlace, options: Omit<MageErrorOptions, 'stream' | 'line' | 'field'> = {}) {
    super(code, `${place.file}${place.line === undefined ? '' : `:${place.line}`}: ${message}`, {
      ...options,
      ...(place.stream === undefined ? {} : { stream: place.stream }),
      ...(place.field === undefined ? {} : { field: place.field }),
    });
    this.file = place.file;
  }
}
