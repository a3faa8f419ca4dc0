import type { PersonView, RoomView } from '../shared/panelProtocol';
import { el, iconButton } from './dom';
import { PeopleList } from './peopleList';
import { personHover, personLabel } from './personText';

/** What the sidebar asks of the view around it. */
export interface SidebarHost {
  /** A room or DM was picked (click, Enter or Space). */
  pick(room: string): void;
  /** A panel button that runs one of the extension's commands. */
  command(command: 'joinRoom' | 'directMessage'): void;
  /** Start a direct conversation from the people list. */
  openDm(name: string): void;
  /** An operator's Kick or Ban on someone, for the active room (the host asks before doing it). */
  moderate(action: 'kick' | 'ban', name: string): void;
}

/** What the people list offers an operator of the active room: kick and ban, named for it. */
export interface Moderation {
  room: string;
}

/**
 * Rooms, direct conversations and people: two listboxes with a roving
 * tabindex (one Tab stop, arrows inside), and a list of people with a
 * button each to write to them.
 */
export class Sidebar {
  readonly el: HTMLElement;
  private readonly roomList: HTMLUListElement;
  private readonly dmList: HTMLUListElement;
  private readonly roomEmpty: HTMLElement;
  private readonly dmEmpty: HTMLElement;
  private readonly people = new PeopleList('people-title', (p, isMe) => this.personRow(p, isMe));
  /** What the rows show besides names: set by renderPeople, read as rows are drawn. */
  private moderation?: Moderation;
  private away: Record<string, string> = {};
  private readonly peopleCount: HTMLSpanElement;

  constructor(private readonly host: SidebarHost) {
    this.el = el('aside', 'side');
    this.el.id = 'side';
    this.el.setAttribute('aria-label', 'Rooms and people');
    const roomsHead = this.head('Rooms', 'rooms-title', iconButton('plus', 'Join a room'), 'joinRoom');
    [this.roomList, this.roomEmpty] = this.listbox('rooms-title', 'No rooms');
    const dmHead = this.head('Direct messages', 'dms-title', iconButton('plus', 'Start a direct message'), 'directMessage');
    [this.dmList, this.dmEmpty] = this.listbox('dms-title', 'No conversations yet');
    const peopleHead = el('div', 'side-head');
    const peopleTitle = el('h2', undefined, 'People');
    peopleTitle.id = 'people-title';
    this.peopleCount = el('span', 'count');
    peopleHead.append(peopleTitle, this.peopleCount);
    this.el.append(roomsHead, this.roomList, this.roomEmpty, dmHead, this.dmList, this.dmEmpty, peopleHead, this.people.el);
    this.el.addEventListener('keydown', (e) => this.onKey(e));
    this.el.addEventListener('click', (e) => this.onClick(e));
  }

  /** Every option of both lists, in order. */
  options(): HTMLElement[] {
    return Array.from(this.el.querySelectorAll<HTMLElement>('[role="option"]'));
  }

  /** Focus the option that holds the Tab stop (opening the drawer on a narrow panel). */
  focusCurrent(): void {
    (this.options().find((o) => o.tabIndex === 0) ?? this.options()[0])?.focus();
  }

  renderRooms(rooms: RoomView[], active: string): void {
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.room : undefined;
    this.fill(this.roomList, this.roomEmpty, rooms, 'room', active);
    this.fill(this.dmList, this.dmEmpty, rooms, 'dm', active);
    // Roving tabindex: one stop for the whole list, on the active room (or the first).
    const opts = this.options();
    const stop = opts.find((o) => o.dataset.room === (focused ?? active)) ?? opts.find((o) => o.getAttribute('aria-selected') === 'true') ?? opts[0];
    if (stop) stop.tabIndex = 0;
    if (focused && stop?.dataset.room === focused) stop.focus();
  }

  /**
   * `moderation`: this user is an operator of the active room, so each other
   * person gets Kick and Ban. `away`: name → away message; an away person is
   * marked in words (a tag, the label, the hover), not by the dot alone.
   * `count`: how many are online, when the server names only some of them (a
   * large room). The list is virtualized (PeopleList): only rows in view are drawn.
   */
  renderPeople(people: PersonView[], me: string | null, connected: boolean, moderation?: Moderation, away: Record<string, string> = {}, count?: number): void {
    this.moderation = moderation;
    this.away = away;
    const shown = this.people.set(people, me, connected);
    const total = count !== undefined && count > shown ? count : shown;
    this.peopleCount.textContent = total.toLocaleString();
    this.peopleCount.setAttribute('aria-label', total > shown ? `${total} online, ${shown} listed` : `${total} online`);
  }

  /** One person's row, as the people list draws it. */
  private personRow(p: PersonView, isMe: boolean): HTMLLIElement {
    const away = this.away;
    const moderation = this.moderation;
    const li = el('li', 'person');
    const dot = el('span', 'presence');
    dot.setAttribute('aria-hidden', 'true');
    const parts: (Node | string)[] = [dot, el('bdi', 'person-name', p.name)];
    // Guests are marked in words, not colour alone: anyone may use their name once they leave.
    // The space keeps the visible text "bob guest" inside the accessible name (axe: label-content-name-mismatch).
    if (p.guest) parts.push(' ', el('span', 'person-guest', 'guest'));
    const message = Object.prototype.hasOwnProperty.call(away, p.name) ? String(away[p.name]) : undefined;
    if (message !== undefined) {
      parts.push(' ', el('span', 'person-away', 'away'));
      li.classList.add('away');
    }
    if (isMe) {
      li.classList.add('me');
      li.append(...parts, el('span', 'person-you', '(you)'));
      li.setAttribute('aria-label', personLabel(p, true, message));
      li.title = personHover(p, true, message);
    } else {
      const b = el('button', 'person-btn');
      b.type = 'button';
      b.dataset.person = p.name;
      b.setAttribute('aria-label', personLabel(p, false, message));
      b.title = personHover(p, false, message);
      b.append(...parts);
      li.append(b);
      if (moderation) li.append(this.moderationTools(p.name, moderation.room));
    }
    if (p.guest) li.classList.add('guest');
    return li;
  }

  /** Kick and Ban for one person: shown on hover and focus, always in the Tab order. */
  private moderationTools(name: string, room: string): HTMLElement {
    const tools = el('span', 'person-tools');
    const kick = iconButton('kick', `Kick ${name} from #${room}`, 'icon-btn person-tool');
    kick.dataset.kick = name;
    const ban = iconButton('ban', `Ban ${name} from #${room}`, 'icon-btn person-tool');
    ban.dataset.ban = name;
    tools.append(kick, ban);
    return tools;
  }

  private head(title: string, id: string, btn: HTMLButtonElement, command: 'joinRoom' | 'directMessage'): HTMLElement {
    const head = el('div', 'side-head');
    const h = el('h2', undefined, title);
    h.id = id;
    head.append(h, btn);
    btn.addEventListener('click', () => this.host.command(command));
    return head;
  }

  /**
   * A listbox and the note shown instead of it when it is empty: a listbox
   * must own options (axe: aria-required-children), so an empty one is
   * hidden rather than given a placeholder child.
   */
  private listbox(labelledBy: string, emptyText: string): [HTMLUListElement, HTMLElement] {
    const list = el('ul', 'rooms');
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-labelledby', labelledBy);
    const empty = el('p', 'room-empty', emptyText);
    return [list, empty];
  }

  private fill(list: HTMLUListElement, empty: HTMLElement, rooms: RoomView[], kind: RoomView['kind'], active: string): void {
    const items = rooms.filter((r) => r.kind === kind);
    list.replaceChildren(
      ...items.map((r) => {
        const li = el('li', 'room');
        li.setAttribute('role', 'option');
        li.dataset.room = r.key;
        const selected = r.key === active;
        li.setAttribute('aria-selected', String(selected));
        li.tabIndex = -1;
        const unread = Number.isFinite(r.unread) && r.unread > 0 && !selected ? r.unread : 0;
        const sigil = el('span', 'room-sigil', kind === 'dm' ? '@' : '#');
        sigil.setAttribute('aria-hidden', 'true');
        // The name comes from what is shown (axe: label-content-name-mismatch), with the words a screen reader needs in between.
        const label = el('bdi', 'room-label', kind === 'room' ? r.label.replace(/^#/, '') : r.label);
        li.append(el('span', 'sr-only', kind === 'dm' ? 'Direct messages with ' : 'Room '), sigil, label);
        if (unread) {
          const badge = el('span', 'badge', unread > 99 ? '99+' : String(unread));
          badge.append(el('span', 'sr-only', ' unread'));
          li.append(badge);
          li.classList.add('unread');
        }
        return li;
      }),
    );
    list.hidden = items.length === 0;
    empty.hidden = items.length !== 0;
  }

  private onKey(e: KeyboardEvent): void {
    const cur = (e.target as Element).closest<HTMLElement>('[role="option"]');
    if (!cur) return;
    const opts = this.options();
    const i = opts.indexOf(cur);
    let next: HTMLElement | undefined;
    switch (e.key) {
      case 'ArrowDown':
        next = opts[Math.min(opts.length - 1, i + 1)];
        break;
      case 'ArrowUp':
        next = opts[Math.max(0, i - 1)];
        break;
      case 'Home':
        next = opts[0];
        break;
      case 'End':
        next = opts[opts.length - 1];
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.host.pick(cur.dataset.room!);
        return;
      default:
        return;
    }
    e.preventDefault();
    if (next) {
      for (const o of opts) o.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  }

  private onClick(e: MouseEvent): void {
    const opt = (e.target as Element).closest<HTMLElement>('[role="option"]');
    if (opt?.dataset.room) {
      this.host.pick(opt.dataset.room);
      return;
    }
    const tool = (e.target as Element).closest<HTMLElement>('button[data-kick], button[data-ban]');
    if (tool) {
      this.host.moderate(tool.dataset.kick !== undefined ? 'kick' : 'ban', (tool.dataset.kick ?? tool.dataset.ban)!);
      return;
    }
    const person = (e.target as Element).closest<HTMLElement>('button[data-person]');
    if (person) this.host.openDm(person.dataset.person!);
  }
}
