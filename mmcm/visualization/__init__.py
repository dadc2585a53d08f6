from .image_grid import make_image_grid, save_image, save_image_grid

__all__ = ['make_image_grid', 'save_image', 'save_image_grid']
