/**
 * Makes sure an image is on the Docker host before anything is rolled out,
 * and names the exact bits: a pull failure fails the deploy while all traffic
 * still goes where it went. The pinned reference is the registry digest
 * (name@sha256:...) when the image came from a registry, else the local image
 * id (sha256:...), which `docker run` accepts as well.
 */
import type Docker from 'dockerode';
import { ImagePullError } from '../errors.ts';

export interface PulledImage {
  /** What the user asked for, e.g. shop/web:1.4.3. */
  image: string;
  /** The same bits, pinned: shop/web@sha256:... or sha256:<image id>. */
  digest: string;
}

export type PullProgress = (line: string) => void;

export async function ensureImage(docker: Docker, image: string, onProgress?: PullProgress): Promise<PulledImage> {
  const local = await inspect(docker, image);
  if (local) return { image, digest: pinned(local) };
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), (p: { status?: string; progress?: string; id?: string }) => {
        onProgress?.([p.id, p.status, p.progress].filter(Boolean).join(' '));
      });
    });
  } catch (err) {
    throw new ImagePullError(image, err);
  }
  const pulled = await inspect(docker, image);
  if (!pulled) throw new ImagePullError(image, new Error('the pull finished but the image is not there'));
  return { image, digest: pinned(pulled) };
}

interface ImageFacts {
  Id: string;
  RepoDigests?: string[];
}

function pinned(img: ImageFacts): string {
  return img.RepoDigests?.[0] ?? img.Id;
}

async function inspect(docker: Docker, image: string): Promise<ImageFacts | null> {
  try {
    return (await docker.getImage(image).inspect()) as ImageFacts;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}
