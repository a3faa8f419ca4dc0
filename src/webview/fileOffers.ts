import type { FileOfferView } from '../shared/panelProtocol';
import { el, formatSize } from './dom';
import { formatTime } from './formatTime';
import { icon } from './icons';

/** Files offered in the conversation on screen, each with Save once it arrived whole and checked. */
export class FileOffers {
  readonly el: HTMLElement;
  private files = new Map<string, FileOfferView>();

  constructor(save: (fileId: string) => void) {
    this.el = el('section', 'files');
    this.el.setAttribute('aria-label', 'Files offered in this conversation');
    this.el.addEventListener('click', (e) => {
      const b = (e.target as Element).closest<HTMLButtonElement>('button[data-file]');
      if (b) save(b.dataset.file!);
    });
  }

  /** Replace every offer (a fresh snapshot). */
  reset(files: FileOfferView[]): void {
    this.files = new Map(files.filter((f) => f && typeof f.fileId === 'string').map((f) => [f.fileId, f]));
  }

  /** An offer appeared or changed. */
  update(file: FileOfferView): void {
    if (file && typeof file.fileId === 'string') this.files.set(file.fileId, file);
  }

  /** Show the offers of `room`. */
  render(room: string): void {
    const mine = [...this.files.values()].filter((f) => f.room === room);
    this.el.hidden = mine.length === 0;
    this.el.replaceChildren(
      ...mine.map((f) => {
        const card = el('div', `file ${f.status}`);
        const info = el('div', 'file-info');
        info.append(el('bdi', 'file-name', String(f.name)), el('span', 'file-meta', `${formatSize(f.size)} · from ${f.sender} · ${formatTime(f.ts)}`));
        card.append(icon('file'), info);
        if (f.status === 'ready') {
          const b = el('button', 'btn primary');
          b.type = 'button';
          b.dataset.file = f.fileId;
          b.setAttribute('aria-label', `Save ${f.name}`);
          b.append(icon('save'), document.createTextNode('Save…'));
          card.append(b);
        } else {
          card.append(el('span', 'file-status', f.status === 'receiving' ? 'receiving…' : f.status === 'saved' ? 'saved' : `failed${f.detail ? `: ${f.detail}` : ''}`));
        }
        return card;
      }),
    );
  }
}
