/** GEO_POINT values ("lat,lon" strings) and the distance/shape tests of geo queries (docs/protocol-search.md §4). */
export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

const EARTH_RADIUS_M = 6371008.7714;

export function parseGeoPoint(text: string): GeoPoint | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return undefined;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return undefined;
  return { lat, lon };
}

const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle (haversine) distance in meters. */
export function distanceMeters(a: GeoPoint, b: GeoPoint): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Inside the box whose corners are top-left and bottom-right (a box may cross the 180th meridian). */
export function inBox(p: GeoPoint, topLeft: GeoPoint, bottomRight: GeoPoint): boolean {
  if (p.lat > topLeft.lat || p.lat < bottomRight.lat) return false;
  if (topLeft.lon <= bottomRight.lon) return p.lon >= topLeft.lon && p.lon <= bottomRight.lon;
  return p.lon >= topLeft.lon || p.lon <= bottomRight.lon;
}

/** Ray casting in the lat/lon plane; points on an edge count as inside. */
export function inPolygon(p: GeoPoint, polygon: readonly GeoPoint[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i];
    const b = polygon[j];
    const cross = (b.lon - a.lon) * (p.lat - a.lat) - (b.lat - a.lat) * (p.lon - a.lon);
    const within =
      p.lon >= Math.min(a.lon, b.lon) &&
      p.lon <= Math.max(a.lon, b.lon) &&
      p.lat >= Math.min(a.lat, b.lat) &&
      p.lat <= Math.max(a.lat, b.lat);
    if (cross === 0 && within) return true;
    if (a.lat > p.lat !== b.lat > p.lat && p.lon < ((b.lon - a.lon) * (p.lat - a.lat)) / (b.lat - a.lat) + a.lon)
      inside = !inside;
  }
  return inside;
}
