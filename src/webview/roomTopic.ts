import type { RoomSettingsMsg } from '../shared/panelProtocol';
import { el, iconButton } from './dom';

/**
 * The header's room title with the topic under it, and the Set Topic
 * button. The topic is remote text: it is only ever set as textContent, in
 * a <bdi> so a right-to-left topic cannot reorder the header around it.
 */
export class RoomTopic {
  /** The title and topic, stacked. */
  readonly heading: HTMLElement;
  readonly title: HTMLHeadingElement;
  /** Set Topic: shown when this user may set the active room's topic. */
  readonly button: HTMLButtonElement;
  private readonly topic: HTMLElement;

  constructor(setTopic: () => void) {
    this.title = el('h1', 'room-title');
    this.topic = el('bdi', 'room-topic');
    this.topic.hidden = true;
    this.heading = el('div', 'room-heading');
    this.heading.append(this.title, this.topic);
    this.button = iconButton('edit', 'Set topic');
    this.button.hidden = true;
    this.button.addEventListener('click', setTopic);
  }

  /** Show a room's settings; undefined (not known yet, or another room's) shows no topic and no button. */
  render(s: RoomSettingsMsg | undefined): void {
    const text = typeof s?.topic === 'string' ? s.topic : '';
    this.topic.textContent = text;
    this.topic.title = text && typeof s?.topicBy === 'string' && s.topicBy ? `${text} (set by ${s.topicBy})` : text;
    this.topic.hidden = text === '';
    this.button.hidden = s?.canSetTopic !== true;
  }
}
