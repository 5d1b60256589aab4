/**
 * Relevance scores (docs/protocol-search.md §4): BM25 as Lucene's BM25Similarity computes it (Lucene ≥ 8,
 * without the constant (k1 + 1) factor), with k1 = 1.2 and b = 0.75. The statistics come from the index and
 * are kept incrementally by SearchIndex (search-index.ts): N = documents with at least one term in the field,
 * n(t) = documents whose field holds t, avgdl = the field's total term count over N. Lengths are exact (Lucene
 * stores a document's length lossily in one byte).
 */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** ln(1 + (N − n + 0.5) / (n + 0.5)). */
export function bm25Idf(docFreq: number, docCount: number): number {
  return Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5));
}

/** freq / (freq + k1 · (1 − b + b · dl / avgdl)). */
export function bm25Tf(freq: number, dl: number, avgdl: number): number {
  return freq / (freq + BM25_K1 * (1 - BM25_B + (BM25_B * dl) / avgdl));
}
