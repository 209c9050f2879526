// `npm run build`: writes dist/proxy-bundle.mjs, the proxy as one file for the proxy container of each host.
import { bundle } from '../src/engine/hosts/proxy-bundle.ts';

await bundle(process.argv[2] ?? 'dist');
