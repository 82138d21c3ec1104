import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultAssetName, describeSequence, groupFiles } from '../src/sequences.js';

let nextId = 0;
const file = (name, relativePath = null) => ({ id: `f${nextId++}`, name, relativePath });
const frames = (make, from, to, skip = []) => {
  const out = [];
  for (let n = from; n <= to; n++) if (!skip.includes(n)) out.push(make(n));
  return out;
};

test('frames dropped together become one sequence item with range and gaps', () => {
  const files = frames((n) => file(`plate.${n}.exr`), 1001, 1100, [1042, 1043, 1077]);
  const items = groupFiles(files.reverse());
  assert.equal(items.length, 1);
  const [item] = items;
  assert.equal(item.kind, 'sequence');
  assert.equal(item.pattern, 'plate.%04d.exr');
  assert.equal(item.assetName, 'plate');
  assert.equal(item.frames.length, 97);
  assert.deepEqual(item.frames.slice(0, 2), [1001, 1002]);
  assert.deepEqual(item.missing, [1042, 1043, 1077]);
  assert.equal(item.fileIds.length, 97);
  assert.equal(describeSequence(item), 'plate.####.exr — frames 1001–1100, 3 missing: 1042, 1043, 1077');
});

test('underscore and bare frame numbers are sequences too', () => {
  const underscore = groupFiles(frames((n) => file(`bg_${String(n).padStart(4, '0')}.png`), 1, 3));
  assert.equal(underscore.length, 1);
  assert.equal(underscore[0].pattern, 'bg_%04d.png');
  assert.equal(underscore[0].assetName, 'bg');
  assert.deepEqual(underscore[0].frames, [1, 2, 3]);

  const bare = groupFiles(frames((n) => file(`fx${n}.jpg`), 10, 12));
  assert.equal(bare.length, 1);
  assert.equal(bare[0].pattern, 'fx%02d.jpg');
  assert.equal(bare[0].assetName, 'fx');
});

test('unpadded numbers of growing width stay one %d sequence', () => {
  const items = groupFiles(frames((n) => file(`count.${n}.png`), 8, 12));
  assert.equal(items.length, 1);
  assert.equal(items[0].pattern, 'count.%d.png');
  assert.equal(describeSequence(items[0]), 'count.#.png — frames 8–12');
});

test('movies, lone frames and different folders stay separate items', () => {
  const items = groupFiles([
    file('shot_v002.mov'),
    file('still.1001.exr'),
    file('plate.1001.exr', 'a/plate.1001.exr'),
    file('plate.1002.exr', 'a/plate.1002.exr'),
    file('plate.1001.exr', 'b/plate.1001.exr'),
    file('plate.1002.exr', 'b/plate.1002.exr'),
  ]);
  assert.deepEqual(
    items.map((i) => [i.kind, i.assetName]),
    [
      ['movie', 'shot_v002'],
      ['image', 'still'],
      ['sequence', 'plate'],
      ['sequence', 'plate'],
    ],
  );
  assert.match(items[2].label, /^a\/plate\.####\.exr/);
  assert.match(items[3].label, /^b\/plate\.####\.exr/);
});

test('the same frame dropped twice does not vanish', () => {
  const items = groupFiles([file('x.0001.png'), file('x.0002.png'), file('x.0002.png')]);
  assert.equal(items.length, 2);
  assert.equal(items[0].kind, 'sequence');
  assert.deepEqual(items[0].frames, [1, 2]);
  assert.equal(items[1].kind, 'image');
});

test('long gap lists are summarised', () => {
  const items = groupFiles([file('g.0001.png'), file('g.0100.png')]);
  assert.equal(items[0].missing.length, 98);
  assert.match(describeSequence(items[0]), /98 missing: 2, 3, .*, 21 and 78 more$/);
});

test('default asset names strip extension and frame number', () => {
  assert.equal(defaultAssetName('plate.1001.exr'), 'plate');
  assert.equal(defaultAssetName('comp_v003.mov'), 'comp_v003');
  assert.equal(defaultAssetName('poster.jpg'), 'poster');
  assert.equal(defaultAssetName('1001.exr'), '1001');
});
