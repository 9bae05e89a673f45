"""The simulated shop's vocabulary, shared by the generators and the incidents: product categories
(brands, median price), product nouns, and the devices sessions come from.

Its own module so that the incidents can validate a category or device without importing the
generators that apply them (which import the incidents).
"""

from __future__ import annotations

DEVICES = ("web", "android", "ios")
# category -> (brands, median price)
CATEGORIES: dict[str, tuple[list[str], float]] = {
    "electronics": (["Voltix", "Nexa", "Sonora", "Pixelon"], 240.0),
    "computers": (["Corebyte", "Lumetra", "Nexa"], 780.0),
    "home": (["Casa Verde", "Nordhaus", "Dwello"], 45.0),
    "kitchen": (["Cucina", "Steelmark", "Nordhaus"], 35.0),
    "fashion": (["Urban Thread", "Maison Rue", "Kodo"], 55.0),
    "shoes": (["Stride", "Kodo", "Peakline"], 85.0),
    "beauty": (["Lumi", "Verdant", "Aurelle"], 22.0),
    "sports": (["Peakline", "Aerofit", "Stride"], 60.0),
    "toys": (["Playwise", "Tinker & Co"], 25.0),
    "books": (["Inkwell Press", "Northpage"], 15.0),
    "grocery": (["FarmFresh", "Daily Basket"], 6.0),
    "garden": (["Verdant", "Casa Verde"], 30.0),
}
# category -> product nouns (names are "<adjective> <noun>"; search terms use them too)
NOUNS: dict[str, list[str]] = {
    "electronics": ["Headphones", "Speaker", "Smartwatch", "Camera", "Soundbar"],
    "computers": ["Laptop", "Monitor", "Keyboard", "Tablet", "SSD"],
    "home": ["Lamp", "Cushion", "Rug", "Shelf", "Mirror"],
    "kitchen": ["Pan", "Knife Set", "Blender", "Kettle", "Toaster"],
    "fashion": ["Jacket", "Shirt", "Dress", "Scarf", "Jeans"],
    "shoes": ["Sneakers", "Boots", "Sandals", "Loafers"],
    "beauty": ["Serum", "Lipstick", "Moisturizer", "Shampoo"],
    "sports": ["Yoga Mat", "Dumbbells", "Bike Helmet", "Running Belt"],
    "toys": ["Puzzle", "Building Blocks", "Doll", "Board Game"],
    "books": ["Novel", "Cookbook", "Travel Guide", "Biography"],
    "grocery": ["Coffee", "Olive Oil", "Granola", "Tea"],
    "garden": ["Hose", "Planter", "Pruner", "Seeds"],
}
