import { MemoryStore } from '../../src/store/memory-store.ts';
import { storeConformance } from './store-conformance.ts';

storeConformance('MemoryStore', { open: () => new MemoryStore() });
