from .cm_data_preprocessor import ConsistencyDataPreprocessor

__all__ = ['ConsistencyDataPreprocessor']
