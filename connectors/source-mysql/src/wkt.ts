/**
 * The binlog reader decodes geometry into plain objects (`{x, y}`, arrays of them); queries read geometry as WKT
 * (`ST_AsText`). This turns the former into the latter, so a row reads the same whether it came from a snapshot or
 * from the binlog. The declared column type picks the shape; a column declared `geometry` holding a MULTIPOINT or
 * MULTILINESTRING cannot be told from a LINESTRING or POLYGON in the decoded form (see the README).
 */

interface Point {
  x: number;
  y: number;
}

function isPoint(value: unknown): value is Point {
  return typeof value === 'object' && value !== null && typeof (value as Point).x === 'number' && typeof (value as Point).y === 'number';
}

function coords(p: Point): string {
  return `${p.x} ${p.y}`;
}

function path(points: unknown): string {
  return `(${(points as Point[]).map(coords).join(',')})`;
}

function rings(value: unknown): string {
  return `(${(value as unknown[]).map(path).join(',')})`;
}

function guess(value: unknown): string {
  if (isPoint(value)) return `POINT(${coords(value)})`;
  if (!Array.isArray(value)) return String(value);
  if (value.length === 0) return 'GEOMETRYCOLLECTION EMPTY';
  const first: unknown = value[0];
  if (isPoint(first)) return `LINESTRING${path(value)}`;
  if (Array.isArray(first) && isPoint(first[0])) return `POLYGON${rings(value)}`;
  if (Array.isArray(first) && Array.isArray(first[0])) return `MULTIPOLYGON(${value.map(rings).join(',')})`;
  return `GEOMETRYCOLLECTION(${value.map(guess).join(',')})`;
}

/** WKT of a decoded geometry value of a column of `declaredType` (`point`, `polygon`, `geometry`, …). */
export function geometryToWkt(value: unknown, declaredType: string): string {
  switch (declaredType.toLowerCase()) {
    case 'point':
      return isPoint(value) ? `POINT(${coords(value)})` : guess(value);
    case 'linestring':
      return `LINESTRING${path(value)}`;
    case 'polygon':
      return `POLYGON${rings(value)}`;
    case 'multipoint':
      return `MULTIPOINT(${(value as Point[]).map(coords).join(',')})`;
    case 'multilinestring':
      return `MULTILINESTRING${rings(value)}`;
    case 'multipolygon':
      return `MULTIPOLYGON(${(value as unknown[]).map(rings).join(',')})`;
    case 'geometrycollection':
    case 'geomcollection':
      return `GEOMETRYCOLLECTION(${(value as unknown[]).map(guess).join(',')})`;
    default:
      return guess(value);
  }
}
