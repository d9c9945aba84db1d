"""pgproof.latex"""
