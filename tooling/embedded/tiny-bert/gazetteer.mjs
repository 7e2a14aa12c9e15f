// The gazetteer that labels the entities of the token-classification and question-answering data:
// characters (PER) and places (LOC) of Jane Austen's Emma, Persuasion and Sense and Sensibility,
// written by hand from the novels. Matching is case-sensitive on whole words; titles (Mr., Mrs.,
// Miss, Sir, Lady, Colonel, Captain, Admiral, …) are not part of an entity. See label().

/** Single names (first names and surnames), each also matched with a plural "s" (the Westons). */
export const PERSONS = [
  // Emma
  'Emma', 'Woodhouse', 'Knightley', 'George', 'Isabella', 'Harriet', 'Smith', 'Frank', 'Churchill', 'Jane', 'Fairfax', 'Elton', 'Augusta',
  'Weston', 'Taylor', 'Bates', 'Martin', 'Perry', 'Cole', 'Goddard', 'Campbell', 'Dixon', 'Hawkins', 'Suckling', 'Henry', 'John', 'Robert',
  'Larkins', 'William', 'Patty', 'Hannah', 'Serle', 'Wingfield', 'Anna', 'Elizabeth',
  // Persuasion
  'Anne', 'Elliot', 'Walter', 'Mary', 'Musgrove', 'Charles', 'Henrietta', 'Louisa', 'Wentworth', 'Frederick', 'Croft', 'Sophia', 'Harville',
  'Benwick', 'Russell', 'Clay', 'Shepherd', 'Hayter', 'Dalrymple', 'Carteret', 'Rooke', 'Wallis', 'Dick', 'Jemima', 'James',
  // Sense and Sensibility
  'Elinor', 'Marianne', 'Margaret', 'Dashwood', 'Fanny', 'Edward', 'Ferrars', 'Willoughby', 'Brandon', 'Jennings', 'Middleton', 'Palmer',
  'Charlotte', 'Lucy', 'Steele', 'Nancy', 'Eliza', 'Williams', 'Morton', 'Grey', 'Thomas', 'Pratt', 'Harry',
];

/** Places: single words and multi-word names (matched whole, before single words). */
export const PLACES = [
  // Emma
  'Highbury', 'Hartfield', 'Donwell', 'Donwell Abbey', 'Randalls', 'Enscombe', 'Maple Grove', 'Box Hill', 'Richmond', 'Kingston', 'Weymouth',
  'Ireland', 'Surry', 'Yorkshire', 'Bristol', 'Cromer', 'Brunswick Square', 'Abbey-Mill Farm', 'Abbey Mill Farm', 'South End', 'Swisserland',
  // Persuasion
  'Kellynch', 'Kellynch Hall', 'Uppercross', 'Lyme', 'Winthrop', 'Monkford', 'Camden Place', 'Laura Place', 'Marlborough Buildings',
  'Westgate Buildings', 'Rivers Street', 'Bath Street', 'Milsom Street', 'Pulteney Street', 'Gay Street', 'Union Street', 'Cobb', 'Crewkherne', 'Charmouth', 'Plymouth', 'Portsmouth', 'Taunton', 'Shropshire', 'Gibraltar',
  'West Indies', 'East Indies',
  // Sense and Sensibility
  'Norland', 'Norland Park', 'Barton', 'Barton Park', 'Barton Cottage', 'Delaford', 'Allenham', 'Cleveland', 'Combe Magna', 'Devonshire',
  'Sussex', 'Exeter', 'Oxford', 'Somersetshire', 'Dorsetshire', 'Longstaple', 'Honiton', 'Kensington Gardens', 'Harley Street',
  'Berkeley Street', 'Conduit Street', 'Portman Square', 'Bond Street', 'Pall Mall', 'Holborn', 'Westminster',
  // all three
  'London', 'Bath', 'England', 'Scotland', 'Wales', 'France', 'Bristol',
];

/** Words of a text: words (letters, inner hyphens), numbers and single punctuation marks. */
export function words(text) {
  return text.match(/[A-Za-z]+(?:-[A-Za-z]+)*|\d+|[^\sA-Za-z\d]/g) ?? [];
}

const personSet = new Set(PERSONS.flatMap((n) => [n, `${n}s`]));
const placePhrases = [...new Set(PLACES)].map((p) => words(p)).sort((a, b) => b.length - a.length);

/**
 * BIO tags of `tokens` (words()): a place phrase of the gazetteer (longest first) is B-LOC I-LOC…;
 * a maximal run of consecutive person names ("Frank Churchill", "Walter Elliot") is B-PER I-PER….
 */
export function label(tokens) {
  const tags = tokens.map(() => 'O');
  for (let i = 0; i < tokens.length; ) {
    const phrase = placePhrases.find((p) => p.every((w, k) => tokens[i + k] === w));
    if (phrase) {
      phrase.forEach((_, k) => (tags[i + k] = k === 0 ? 'B-LOC' : 'I-LOC'));
      i += phrase.length;
      continue;
    }
    if (personSet.has(tokens[i])) {
      let k = 0;
      while (i + k < tokens.length && personSet.has(tokens[i + k])) {
        tags[i + k] = k === 0 ? 'B-PER' : 'I-PER';
        k++;
      }
      i += k;
      continue;
    }
    i++;
  }
  return tags;
}

/** Entity spans [start, end, type] (token indices, end exclusive) of BIO tags. */
export function spans(tags) {
  const out = [];
  for (let i = 0; i < tags.length; i++) {
    if (!tags[i].startsWith('B-')) continue;
    const type = tags[i].slice(2);
    let j = i + 1;
    while (j < tags.length && tags[j] === `I-${type}`) j++;
    out.push([i, j, type]);
  }
  return out;
}
