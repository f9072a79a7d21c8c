"""rota: shift and checkpoint scheduler for volunteer coordinators."""
