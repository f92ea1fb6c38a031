import { h } from 'preact';
import htm from 'htm';

/** Tagged template that builds Preact elements; text is always escaped. */
export const html = htm.bind(h);
