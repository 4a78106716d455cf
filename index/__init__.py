"""Offline side of the service: article files -> an index generation on disk -> loaded back.

The core path, in the order ``index.build.build_index`` runs it (``python -m index build``,
``index.__main__``, is its command line)::

    article file  -> Document            corpus     metadata found, furniture dropped;
                                         sentences  sentence spans with their offsets
    Document      -> Sentence, Chunk     records    numbered, with offsets into the file;
                                         chunk      sentences packed into token-bounded chunks
    texts         -> vectors             embed      the bundled encoder (ort: its ONNX run);
                                         build      each distinct text encoded once
    vectors, records -> gen-*/ on disk   store      ``save``: every file of a generation,
                                                    then ``CURRENT`` switched atomically;
                                         ivf        the FAISS index: flat, or IVF when large;
                                         tables     sentences and chunks as integer columns;
                                         lexicon, bm25, analysis, corpus_words
                                                    words, BM25, spaCy parses, word counts;
                                         files, space  atomic writes, disk space
    gen-*/        -> IndexStore          store      ``load``: every file checked first;
                                         generation ``CURRENT``, the manifest, the checks

Shared with the service: ``types`` (the records), ``text`` (words and terms), ``memo`` (a
bounded memo for values made from a loaded index).

``index.scale`` holds what only a build of thousands of articles needs: parses, cuts and
vectors kept between builds, and the live index's IVF centroids reused with their lists.
The core declares what it asks of those helpers (``corpus.ParseStore``,
``records.CutStore``, ``build.VectorStore``, ``store.CentroidSource``); only ``build`` and
the CLI name ``index.scale``, and without the helpers every step does all its work itself.
"""
