import { Selector } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** An entry's selectors, one `type:value` per line. */
export function SelectorList(props: { selectors: Selector[] }) {
  return (
    <>
      {props.selectors.map(s => (
        <div key={`${s.type}:${s.value}`}>
          <code>
            {s.type}:{s.value}
          </code>
        </div>
      ))}
    </>
  );
}
