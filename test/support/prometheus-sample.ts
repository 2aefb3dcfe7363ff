/** The value of the first Prometheus sample of `name` whose labels include `labels`; 0 when there is none. */
export function prometheusSample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
