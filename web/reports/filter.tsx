/** A drop-down in a report's filter bar (the same look as the data table's filters). */
export function ChoiceFilter(props: {
  label: string;
  name: string;
  options: { value: string | number; label: string }[];
  selected: string | number | null;
  /** The label of the empty choice ("All"); none when a value must be chosen. */
  all?: string;
}) {
  return (
    <label class="dt-filter">
      <span>{props.label}</span>
      <select name={props.name}>
        {props.all !== undefined ? <option value="">{props.all}</option> : null}
        {props.options.map((o) => (
          <option
            value={String(o.value)}
            selected={props.selected !== null && String(o.value) === String(props.selected)}
          >
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
