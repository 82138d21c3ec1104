// Turns the flat list of dropped files into publishable items: one item per movie or still image,
// and one item per image sequence (frames that share a name pattern in the same folder).
// Pure functions, no DOM: unit-tested with node's test runner (frontend/test/).

export const MOVIE_EXTENSIONS = new Set(['mov', 'mp4', 'm4v', 'mxf', 'avi', 'mkv', 'webm', 'mpg', 'mpeg', 'wmv']);

// name.####.ext, name_####.ext and name####.ext: the prefix is lazy so the frame number is the
// last run of digits right before the extension.
const FRAME_PATTERN = /^(.*?)([._]?)(\d+)\.([^.]+)$/;

// How many missing frames we spell out before summarising; long gap lists help nobody.
const MAX_LISTED_MISSING = 20;

export function splitExtension(filename) {
  const dot = filename.lastIndexOf('.');
  if (dot <= 0) return [filename, ''];
  return [filename.slice(0, dot), filename.slice(dot + 1)];
}

function folderOf(relativePath) {
  if (!relativePath) return '';
  const slash = relativePath.lastIndexOf('/');
  return slash === -1 ? '' : relativePath.slice(0, slash);
}

export function isMovie(filename) {
  return MOVIE_EXTENSIONS.has(splitExtension(filename)[1].toLowerCase());
}

// Default asset name: the file name without extension and without frame number, e.g.
// "plate" for plate.1001.exr; movies keep their digits ("shot_v002" for shot_v002.mov).
export function defaultAssetName(filename) {
  const [stem] = splitExtension(filename);
  if (isMovie(filename)) return stem || filename;
  const match = FRAME_PATTERN.exec(filename);
  if (!match) return stem || filename;
  return trimSeparators(match[1]) || stem;
}

function trimSeparators(text) {
  return text.replace(/[._\-\s]+$/, '');
}

// A frame number padded to `width` digits reads back as itself: "0999" at width 4, "1000" at 4,
// "12" is not padded to 4. Width 1 means no padding at all (%d).
function fitsPadding(digits, width) {
  return digits.length === width || (digits.length > width && !digits.startsWith('0'));
}

export function hashes(width) {
  return '#'.repeat(Math.max(width, 1));
}

export function missingFrames(frames) {
  const missing = [];
  for (let i = 1; i < frames.length; i++) {
    for (let f = frames[i - 1] + 1; f < frames[i]; f++) missing.push(f);
  }
  return missing;
}

// "plate.####.exr — frames 1001–1100, 3 missing: 1042, 1043, 1077"
export function describeSequence(item) {
  const first = item.frames[0];
  const last = item.frames[item.frames.length - 1];
  let text = `${item.display} — frames ${first}–${last}`;
  if (item.missing.length) {
    const listed = item.missing.slice(0, MAX_LISTED_MISSING).join(', ');
    const more = item.missing.length - MAX_LISTED_MISSING;
    text += `, ${item.missing.length} missing: ${listed}`;
    if (more > 0) text += ` and ${more} more`;
  }
  return text;
}

function singleItem(file) {
  const kind = isMovie(file.name) ? 'movie' : 'image';
  return {
    key: `${kind}:${file.relativePath || file.name}:${file.id}`,
    kind,
    label: file.relativePath || file.name,
    display: file.name,
    folder: folderOf(file.relativePath),
    assetName: defaultAssetName(file.name),
    fileIds: [file.id],
    frames: [],
    missing: [],
    pattern: null,
  };
}

function sequenceItem(folder, prefix, separator, extension, width, frames) {
  // frames: [{number, file}] sorted by number
  const padding = width > 1 ? `%0${width}d` : '%d';
  const display = `${prefix}${separator}${hashes(width)}.${extension}`;
  const numbers = frames.map((f) => f.number);
  const item = {
    key: `sequence:${folder}/${display}`,
    kind: 'sequence',
    display,
    folder,
    assetName: trimSeparators(prefix) || folder.split('/').pop() || 'sequence',
    fileIds: frames.map((f) => f.file.id),
    frames: numbers,
    missing: missingFrames(numbers),
    pattern: `${prefix}${separator}${padding}.${extension}`,
  };
  item.label = (folder ? `${folder}/` : '') + describeSequence(item);
  return item;
}

// Splits one candidate group (same folder, prefix, separator, extension) by padding width so that
// every run can be written with one printf pattern: zero-padded numbers fix the width ("0999" is
// %04d); unpadded ones fit any width up to their length ("1000" is %04d as well as %d).
function splitByPadding(members) {
  const isPadded = (m) => m.digits.length > 1 && m.digits.startsWith('0');
  const widths = [...new Set(members.filter(isPadded).map((m) => m.digits.length))].sort((a, b) => a - b);
  if (!widths.length) widths.push(Math.min(...members.map((m) => m.digits.length)));
  const runs = new Map(widths.map((w) => [w, []]));
  const leftovers = [];
  for (const member of members) {
    const width = widths.find((w) => fitsPadding(member.digits, w));
    if (width === undefined) leftovers.push(member);
    else runs.get(width).push(member);
  }
  // Only unpadded numbers shorter than every padded width land here, e.g. "5" beside "0010".
  if (leftovers.length) {
    for (const [width, run] of splitByPadding(leftovers)) runs.set(width, [...(runs.get(width) || []), ...run]);
  }
  return runs;
}

/**
 * Groups files into items.
 * @param {{id: string, name: string, relativePath?: string|null}[]} files
 * @returns items in the order their first file was dropped
 */
export function groupFiles(files) {
  const candidates = new Map(); // key -> {folder, prefix, separator, extension, members, order}
  const items = [];
  files.forEach((file, order) => {
    const match = isMovie(file.name) ? null : FRAME_PATTERN.exec(file.name);
    if (!match) {
      items.push({ order, item: singleItem(file) });
      return;
    }
    const [, prefix, separator, digits, extension] = match;
    const folder = folderOf(file.relativePath);
    const key = [folder, prefix, separator, extension.toLowerCase()].join('\u0000');
    if (!candidates.has(key)) {
      candidates.set(key, { folder, prefix, separator, extension, members: [], order });
    }
    candidates.get(key).members.push({ file, digits, number: Number.parseInt(digits, 10), order });
  });

  for (const group of candidates.values()) {
    for (const [width, run] of splitByPadding(group.members)) {
      const byNumber = new Map();
      for (const member of run) {
        // The same frame twice (e.g. dropped from two places) stays a separate still image.
        if (byNumber.has(member.number)) items.push({ order: member.order, item: singleItem(member.file) });
        else byNumber.set(member.number, member);
      }
      const frames = [...byNumber.values()].sort((a, b) => a.number - b.number);
      if (frames.length < 2) {
        for (const member of frames) items.push({ order: member.order, item: singleItem(member.file) });
        continue;
      }
      const order = Math.min(...frames.map((f) => f.order));
      items.push({
        order,
        item: sequenceItem(group.folder, group.prefix, group.separator, group.extension, width, frames),
      });
    }
  }
  return items.sort((a, b) => a.order - b.order).map((entry) => entry.item);
}
