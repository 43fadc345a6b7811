/** Word lists the generators draw from. Plain ASCII, so names make valid e-mail addresses as they are. */

export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Amelia', 'Oliver', 'Ava', 'Elijah', 'Sophia', 'Lucas', 'Isabella', 'Mateo',
  'Mia', 'Levi', 'Charlotte', 'Ethan', 'Harper', 'James', 'Evelyn', 'Hugo', 'Luna', 'Leo', 'Chloe', 'Arthur',
  'Camille', 'Louis', 'Lea', 'Jules', 'Manon', 'Gabriel', 'Ines', 'Raphael', 'Hannah', 'Paul', 'Lena', 'Felix',
  'Marie', 'Jonas', 'Sofia', 'Ben', 'Giulia', 'Lorenzo', 'Aurora', 'Francesco', 'Lucia', 'Elena', 'Martina',
  'Alejandro', 'Valentina', 'Diego', 'Camila', 'Santiago', 'Mariana', 'Joao', 'Ana', 'Pedro', 'Beatriz', 'Miguel',
  'Yuki', 'Haruto', 'Sakura', 'Ren', 'Aoi', 'Minjun', 'Seoyeon', 'Jiho', 'Priya', 'Arjun', 'Ananya', 'Rohan',
  'Aisha', 'Omar', 'Fatima', 'Yusuf', 'Zara', 'Kwame', 'Amara', 'Tunde', 'Chiamaka', 'Sipho', 'Thandi', 'Lars',
  'Ingrid', 'Erik', 'Freya', 'Mikkel', 'Astrid', 'Jan', 'Zofia', 'Piotr', 'Olga', 'Dmitri', 'Nina', 'Mehmet',
  'Elif', 'Can', 'Wei', 'Mei', 'Jun', 'Lin', 'Ivy', 'Noor',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Wilson',
  'Anderson', 'Taylor', 'Thomas', 'Moore', 'Martin', 'Jackson', 'Thompson', 'White', 'Lopez', 'Lee', 'Harris',
  'Clark', 'Lewis', 'Walker', 'Hall', 'Young', 'King', 'Wright', 'Scott', 'Bernard', 'Dubois', 'Durand', 'Lefebvre',
  'Moreau', 'Laurent', 'Simon', 'Michel', 'Muller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner',
  'Becker', 'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Fernandez', 'Gonzalez', 'Sanchez',
  'Perez', 'Silva', 'Santos', 'Oliveira', 'Souza', 'Costa', 'Pereira', 'Sato', 'Suzuki', 'Takahashi', 'Tanaka',
  'Watanabe', 'Kim', 'Park', 'Choi', 'Jung', 'Patel', 'Sharma', 'Singh', 'Kumar', 'Gupta', 'Khan', 'Ahmed', 'Ali',
  'Hassan', 'Okafor', 'Mensah', 'Adeyemi', 'Nkosi', 'Dlamini', 'Hansen', 'Johansson', 'Nielsen', 'Larsen',
  'Kowalski', 'Nowak', 'Ivanov', 'Petrov', 'Yilmaz', 'Kaya', 'Wang', 'Zhang', 'Chen', 'Liu', 'Nguyen', 'Tran',
];

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example', 'inbox.example', 'post.example'];

export interface Country {
  code: string;
  phonePrefix: string;
  cities: readonly string[];
  /** Relative share of customers. */
  weight: number;
}

export const COUNTRIES: readonly Country[] = [
  { code: 'US', phonePrefix: '1', weight: 30, cities: ['New York', 'Los Angeles', 'Chicago', 'Houston', 'Phoenix', 'Seattle', 'Denver', 'Boston', 'Austin', 'Atlanta'] },
  { code: 'GB', phonePrefix: '44', weight: 9, cities: ['London', 'Manchester', 'Birmingham', 'Leeds', 'Glasgow', 'Bristol', 'Edinburgh'] },
  { code: 'DE', phonePrefix: '49', weight: 9, cities: ['Berlin', 'Hamburg', 'Munich', 'Cologne', 'Frankfurt', 'Stuttgart', 'Leipzig'] },
  { code: 'FR', phonePrefix: '33', weight: 8, cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nice', 'Nantes', 'Lille', 'Bordeaux'] },
  { code: 'CA', phonePrefix: '1', weight: 5, cities: ['Toronto', 'Montreal', 'Vancouver', 'Calgary', 'Ottawa'] },
  { code: 'ES', phonePrefix: '34', weight: 4, cities: ['Madrid', 'Barcelona', 'Valencia', 'Seville', 'Bilbao'] },
  { code: 'IT', phonePrefix: '39', weight: 4, cities: ['Rome', 'Milan', 'Naples', 'Turin', 'Bologna', 'Florence'] },
  { code: 'NL', phonePrefix: '31', weight: 3, cities: ['Amsterdam', 'Rotterdam', 'Utrecht', 'The Hague', 'Eindhoven'] },
  { code: 'BR', phonePrefix: '55', weight: 5, cities: ['Sao Paulo', 'Rio de Janeiro', 'Brasilia', 'Salvador', 'Curitiba'] },
  { code: 'MX', phonePrefix: '52', weight: 3, cities: ['Mexico City', 'Guadalajara', 'Monterrey', 'Puebla'] },
  { code: 'JP', phonePrefix: '81', weight: 5, cities: ['Tokyo', 'Osaka', 'Yokohama', 'Nagoya', 'Sapporo', 'Fukuoka'] },
  { code: 'KR', phonePrefix: '82', weight: 2, cities: ['Seoul', 'Busan', 'Incheon', 'Daegu'] },
  { code: 'IN', phonePrefix: '91', weight: 5, cities: ['Mumbai', 'Delhi', 'Bengaluru', 'Hyderabad', 'Chennai', 'Pune'] },
  { code: 'AU', phonePrefix: '61', weight: 3, cities: ['Sydney', 'Melbourne', 'Brisbane', 'Perth', 'Adelaide'] },
  { code: 'SE', phonePrefix: '46', weight: 1, cities: ['Stockholm', 'Gothenburg', 'Malmo'] },
  { code: 'PL', phonePrefix: '48', weight: 2, cities: ['Warsaw', 'Krakow', 'Wroclaw', 'Gdansk'] },
  { code: 'NG', phonePrefix: '234', weight: 1, cities: ['Lagos', 'Abuja', 'Ibadan'] },
  { code: 'ZA', phonePrefix: '27', weight: 1, cities: ['Johannesburg', 'Cape Town', 'Durban'] },
];

export interface Category {
  name: string;
  code: string;
  nouns: readonly string[];
  /** Price range in whole currency units; prices are drawn log-uniformly inside it. */
  minPrice: number;
  maxPrice: number;
}

export const CATEGORIES: readonly Category[] = [
  { name: 'Electronics', code: 'ELE', minPrice: 15, maxPrice: 1500, nouns: ['Headphones', 'Speaker', 'Monitor', 'Keyboard', 'Mouse', 'Charger', 'Webcam', 'Tablet', 'Smartwatch', 'Router'] },
  { name: 'Home & Kitchen', code: 'HOM', minPrice: 5, maxPrice: 400, nouns: ['Kettle', 'Blender', 'Pan', 'Knife Set', 'Mug', 'Lamp', 'Cushion', 'Toaster', 'Cutting Board', 'Vase'] },
  { name: 'Clothing', code: 'CLO', minPrice: 8, maxPrice: 250, nouns: ['T-Shirt', 'Hoodie', 'Jacket', 'Jeans', 'Sneakers', 'Scarf', 'Cap', 'Socks', 'Sweater', 'Raincoat'] },
  { name: 'Sports & Outdoors', code: 'SPO', minPrice: 6, maxPrice: 800, nouns: ['Yoga Mat', 'Tent', 'Backpack', 'Water Bottle', 'Bike Helmet', 'Dumbbells', 'Running Shoes', 'Sleeping Bag'] },
  { name: 'Books', code: 'BOO', minPrice: 4, maxPrice: 60, nouns: ['Cookbook', 'Novel', 'Field Guide', 'Notebook', 'Atlas', 'Planner', 'Sketchbook'] },
  { name: 'Beauty', code: 'BEA', minPrice: 3, maxPrice: 120, nouns: ['Face Cream', 'Shampoo', 'Lip Balm', 'Perfume', 'Soap', 'Serum', 'Hair Brush'] },
  { name: 'Toys & Games', code: 'TOY', minPrice: 5, maxPrice: 200, nouns: ['Puzzle', 'Board Game', 'Building Set', 'Plush Bear', 'Kite', 'Card Game', 'Model Car'] },
  { name: 'Grocery', code: 'GRO', minPrice: 1, maxPrice: 50, nouns: ['Coffee Beans', 'Green Tea', 'Olive Oil', 'Dark Chocolate', 'Honey', 'Pasta', 'Granola'] },
];

export const PRODUCT_ADJECTIVES = [
  'Classic', 'Compact', 'Deluxe', 'Eco', 'Essential', 'Premium', 'Pro', 'Smart', 'Ultra', 'Vintage', 'Wireless',
  'Organic', 'Lightweight', 'Rugged', 'Minimal', 'Everyday', 'Travel', 'Signature', 'Modern', 'Handmade',
];

export const PRODUCT_COLORS = ['Black', 'White', 'Grey', 'Navy', 'Red', 'Green', 'Olive', 'Sand', 'Blue', 'Teal', 'Coral', 'Oak'];
