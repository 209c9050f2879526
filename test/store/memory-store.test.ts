import { MemoryStore } from '../../src/store/memory-store.ts';
import { storeConformance } from './store-conformance.ts';

storeConformance('MemoryStore', { open: (opts) => new MemoryStore(opts) });
