"""Retrieval over the ward documents: parsing, Japanese tokenization, BM25, abstention."""
import os

# Before NumPy is first imported (here, by the modules of this package): an ask's matrix products are small (a
# question's few words against a few thousand rows), and BLAS threads there only wait on each other and for a free core,
# which cost an ask with hundreds of staff entries tens of milliseconds on a busy machine. The products are the same
# to the bit with one thread. A deployment may still set the variable itself.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
