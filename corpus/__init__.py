"""The ward documents and their metadata, installed with the app as the package `ward_faq_corpus`."""
