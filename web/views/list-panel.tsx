/** The frame of a list page: its title, the buttons to create or import (for those allowed), an intro, then the list. */
import type { Child } from 'hono/jsx';
import type { Permission } from '../../core/access/permissions.ts';
import type { MessageKey } from '../i18n/index.ts';
import type { PageView } from './page.tsx';

export interface ListButton {
  href: string;
  label: MessageKey;
  permission: Permission;
  primary?: boolean;
}

export function ListPanel(props: {
  pv: PageView;
  title: MessageKey;
  intro?: MessageKey;
  buttons?: ListButton[];
  children?: Child;
}) {
  const { pv } = props;
  const buttons = (props.buttons ?? []).filter((b) => pv.actor?.grants.has(b.permission));
  return (
    <section class="panel">
      <div class="panel-head">
        <h1>{pv.t(props.title)}</h1>
        {buttons.length > 0 ? (
          <div>
            {buttons.map((b) => (
              <>
                {' '}
                <a class={b.primary ? 'button primary' : 'button'} href={b.href}>
                  {pv.t(b.label)}
                </a>
              </>
            ))}
          </div>
        ) : null}
      </div>
      {props.intro ? <p class="hint">{pv.t(props.intro)}</p> : null}
      {props.children}
    </section>
  );
}
