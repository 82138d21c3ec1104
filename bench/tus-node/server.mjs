// The official Node tus server (@tus/server + @tus/file-store) as bench/upload.py's baseline.
// Usage: node server.mjs PORT DIRECTORY. Prints "listening PORT" once it accepts connections.
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

const [port, directory] = process.argv.slice(2);
const server = new Server({ path: '/files', datastore: new FileStore({ directory }) });
server.listen({ host: '127.0.0.1', port: Number(port) }, () => {
  console.log(`listening ${port}`);
});
