def extract_passages(document, text):
    return []
