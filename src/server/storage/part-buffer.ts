/**
 * Bytes waiting to become an S3 part: pieces as a request body delivers them,
 * joined only when a part is cut, so cutting costs one copy of the part and
 * never re-copies what stays behind (a loop of concat-and-slice would copy the
 * remainder once per piece).
 */
export class PartBuffer {
  private pieces: Buffer[] = [];
  private bytes = 0;

  get size(): number {
    return this.bytes;
  }

  add(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    this.bytes += piece.length;
  }

  /** The first `n` bytes (at most what is held) as one buffer, removed from this one. */
  take(n: number): Buffer {
    const want = Math.min(n, this.bytes);
    const out = Buffer.allocUnsafe(want);
    let filled = 0;
    let used = 0;
    while (filled < want) {
      const piece = this.pieces[used]!;
      const room = want - filled;
      if (piece.length <= room) {
        piece.copy(out, filled);
        filled += piece.length;
        used++;
      } else {
        piece.copy(out, filled, 0, room);
        this.pieces[used] = piece.subarray(room);
        filled += room;
      }
    }
    this.pieces = this.pieces.slice(used);
    this.bytes -= want;
    return out;
  }

  takeAll(): Buffer {
    return this.take(this.bytes);
  }
}
