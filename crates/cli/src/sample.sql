-- Basalt's sample database: a small shop (customers, products with JSON attributes, orders).
-- Created by `basalt` on first use of its default directory; docs/tutorial.md walks through it.

CREATE TABLE customers (
    id      int PRIMARY KEY,
    name    text NOT NULL,
    email   text NOT NULL UNIQUE,
    city    text NOT NULL,
    joined  date NOT NULL
);

CREATE TABLE products (
    id      int PRIMARY KEY,
    name    text NOT NULL,
    price   numeric(8, 2) NOT NULL CHECK (price > 0),
    stock   int NOT NULL DEFAULT 0,
    details jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE orders (
    id          int PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers (id),
    ordered_at  timestamptz NOT NULL,
    status      text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled'))
);

CREATE TABLE order_items (
    order_id   int NOT NULL REFERENCES orders (id),
    product_id int NOT NULL REFERENCES products (id),
    quantity   int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX products_category ON products ((details ->> 'category'));

INSERT INTO customers VALUES
    (1, 'Ada Lovelace',     'ada@example.com',     'London',    '2024-01-15'),
    (2, 'Grace Hopper',     'grace@example.com',   'New York',  '2024-02-03'),
    (3, 'Alan Turing',      'alan@example.com',    'Manchester','2024-02-20'),
    (4, 'Katherine Johnson','katherine@example.com','Hampton',  '2024-03-11'),
    (5, 'Edsger Dijkstra',  'edsger@example.com',  'Eindhoven', '2024-04-02'),
    (6, 'Barbara Liskov',   'barbara@example.com', 'Boston',    '2024-05-27'),
    (7, 'Donald Knuth',     'don@example.com',     'Stanford',  '2024-06-08'),
    (8, 'Frances Allen',    'frances@example.com', 'New York',  '2024-07-19');

INSERT INTO products VALUES
    (1,  'Mechanical keyboard', 89.00,  25, '{"category": "hardware", "color": "black", "switches": "brown"}'),
    (2,  'Trackball',           54.50,  12, '{"category": "hardware", "color": "grey", "wireless": true}'),
    (3,  '27" monitor',        249.99,   7, '{"category": "hardware", "size_inches": 27, "ports": ["hdmi", "usb-c"]}'),
    (4,  'USB-C hub',           34.90,  40, '{"category": "hardware", "ports": ["usb-a", "usb-a", "hdmi", "ethernet"]}'),
    (5,  'The Art of Computer Programming', 199.00, 5, '{"category": "books", "volumes": 4, "author": "Knuth"}'),
    (6,  'Structure and Interpretation of Computer Programs', 45.00, 9, '{"category": "books", "author": "Abelson, Sussman"}'),
    (7,  'Database Internals',  49.99,  14, '{"category": "books", "author": "Petrov"}'),
    (8,  'Desk lamp',           29.00,  30, '{"category": "office", "color": "white"}'),
    (9,  'Notebook (dotted)',    6.50, 120, '{"category": "office", "pages": 192}'),
    (10, 'Fountain pen',        38.00,  18, '{"category": "office", "nib": "fine"}'),
    (11, 'Noise-cancelling headphones', 179.00, 6, '{"category": "hardware", "wireless": true, "color": "black"}'),
    (12, 'Standing desk',      399.00,   3, '{"category": "office", "adjustable": true}');

INSERT INTO orders VALUES
    (1,  1, '2024-08-01 09:12:00+00', 'shipped'),
    (2,  2, '2024-08-02 14:30:00+00', 'shipped'),
    (3,  3, '2024-08-05 11:05:00+00', 'shipped'),
    (4,  1, '2024-08-09 16:45:00+00', 'paid'),
    (5,  4, '2024-08-12 08:20:00+00', 'shipped'),
    (6,  5, '2024-08-15 19:02:00+00', 'cancelled'),
    (7,  6, '2024-08-18 10:10:00+00', 'shipped'),
    (8,  7, '2024-08-21 13:33:00+00', 'paid'),
    (9,  2, '2024-08-25 17:50:00+00', 'paid'),
    (10, 8, '2024-08-28 12:00:00+00', 'new'),
    (11, 3, '2024-09-01 09:45:00+00', 'new'),
    (12, 7, '2024-09-03 15:15:00+00', 'new');

INSERT INTO order_items VALUES
    (1, 1, 1), (1, 9, 3),
    (2, 5, 1), (2, 10, 1),
    (3, 7, 2), (3, 6, 1),
    (4, 3, 1), (4, 4, 2),
    (5, 12, 1), (5, 8, 1),
    (6, 11, 1),
    (7, 2, 1), (7, 9, 5),
    (8, 5, 1), (8, 7, 1), (8, 6, 1),
    (9, 1, 2), (9, 11, 1),
    (10, 8, 2), (10, 9, 10),
    (11, 4, 1),
    (12, 3, 2), (12, 10, 1);
