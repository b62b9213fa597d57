/** A small SVG line chart of the last few minutes. */
export function Chart({
  label,
  values,
  unit = "",
  missing,
}: {
  label: string;
  values: (number | null)[];
  unit?: string;
  missing?: string;
}) {
  const width = 300;
  const height = 80;
  const known = values.filter((v): v is number => v !== null);
  const max = Math.max(1, ...known);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values
    .map((v, i) => (v === null ? null : `${(i * step).toFixed(1)},${(height - 4 - (v / max) * (height - 12)).toFixed(1)}`))
    .filter((p): p is string => p !== null);
  const last = known.at(-1);
  return (
    <figure className="flex flex-col gap-1">
      <figcaption className="flex items-baseline justify-between text-xs text-muted-foreground">
        <span>{label}</span>
        <span className="text-base font-semibold text-foreground tabular-nums">
          {last === undefined ? "–" : `${last}${unit}`}
        </span>
      </figcaption>
      <div className="relative">
      {points.length < 2 && (
        <span className="absolute inset-0 flex items-center justify-center text-xs text-muted-foreground">
          {known.length === 0 && missing ? missing : "collecting samples…"}
        </span>
      )}
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        className="h-20 w-full rounded bg-muted/60"
        role="img"
        aria-label={`${label}: ${last ?? "no data"} now, at most ${max} in the last ${values.length} seconds`}
      >
        <line x1={0} x2={width} y1={height - 4} y2={height - 4} stroke="#cbd5e1" strokeWidth={1} />
        {points.length > 1 && (
          <polyline points={points.join(" ")} fill="none" stroke="#1e40af" strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
        )}

      </svg>
      </div>
      <span className="text-right text-[10px] text-muted-foreground">peak {max}{unit} · last {values.length} s</span>
    </figure>
  );
}
