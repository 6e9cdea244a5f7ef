/**
 * SMS-like texts in Indonesian, a language none of the training corpora has (the seed project
 * was Indonesian): everyday chat and a share of local-style spam, built from phrase pools with a
 * seeded generator, so a test gets as many distinct, plausible messages as it asks for.
 */

const GREETINGS = ['Halo', 'Hai', 'Pagi', 'Selamat pagi', 'Selamat sore', 'Malam', 'Permisi', 'Assalamualaikum', 'Mas', 'Mbak', 'Kak', 'Bu', 'Pak'];
const PEOPLE = ['kakak', 'adik', 'ibu', 'bapak', 'teman kantor', 'tetangga', 'bos', 'sepupu', 'pacarku', 'dosen', 'pak RT', 'tante'];
const PLACES = ['pasar', 'kantor', 'kampus', 'rumah sakit', 'stasiun', 'warung', 'masjid', 'sekolah', 'bandara', 'terminal', 'rumah nenek', 'apotek'];
const TIMES = ['besok pagi', 'nanti sore', 'malam ini', 'lusa', 'minggu depan', 'sebentar lagi', 'jam tujuh', 'setelah makan siang', 'hari Sabtu', 'sesudah magrib'];
const ACTIONS = [
  'jemput aku di', 'ketemu di', 'belanja ke', 'mampir ke', 'antar ibu ke', 'nunggu kamu di', 'makan bareng dekat', 'berangkat bersama ke', 'parkir motor di', 'beli obat di',
];
const CHAT = [
  'Jangan lupa bawa payung ya, katanya mau hujan deras.',
  'Maaf baru balas, tadi lagi rapat terus.',
  'Sudah sampai belum? Kabari kalau sudah di jalan.',
  'Tolong belikan gula dan minyak goreng sekalian.',
  'Aku agak terlambat, jalanannya macet sekali.',
  'Terima kasih banyak atas bantuannya kemarin.',
  'Nanti kita bicarakan lagi soal pekerjaan itu.',
  'Hati hati di jalan, kabari kalau ada apa apa.',
  'Kamu sudah makan belum? Jangan sampai telat makan.',
  'Besok jadwal ujiannya diundur, kata dosennya.',
  'Anaknya sudah tidur, jadi jangan telepon dulu.',
  'Kuncinya aku titipkan sama tetangga sebelah.',
  'Bisa pinjam charger sebentar? Punyaku ketinggalan.',
  'Selamat ulang tahun, semoga sehat selalu dan panjang umur.',
  'Rapatnya pindah ke ruang lantai tiga ya.',
  'Jangan lupa kirim laporan mingguan sebelum siang.',
];
const SPAM = [
  'SELAMAT! Nomor anda terpilih sebagai pemenang undian berhadiah mobil. Hubungi segera',
  'Pinjaman dana tunai cepat tanpa jaminan, bunga rendah, cair dalam sehari. Balas YA',
  'Promo pulsa murah! Isi ulang sekarang dapat bonus kuota besar. Ketik DAFTAR kirim ke',
  'Anda mendapatkan hadiah uang tunai dari program pelanggan setia. Segera konfirmasi ke',
  'Mama minta tolong belikan pulsa dulu ke nomor ini, nanti mama ganti. Jangan telepon dulu',
  'Rekening anda diblokir sementara. Segera verifikasi data anda melalui tautan berikut',
  'Dapatkan penghasilan jutaan rupiah per hari hanya dari rumah. Gabung sekarang juga',
  'Diskon besar akhir tahun untuk semua produk kecantikan, stok terbatas, pesan sekarang',
];

/** Park-Miller: deterministic across runs and platforms. */
function generator(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

export interface ForeignText {
  text: string;
  /** What the message is (for the reader: the model was never trained on this language). */
  kind: 'spam' | 'ham';
}

/** `count` distinct Indonesian SMS, about one in five spam-like. */
export function indonesianSms(count: number, seed = 20261204): ForeignText[] {
  const rnd = generator(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const seen = new Set<string>();
  const out: ForeignText[] = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    let text: string;
    let kind: 'spam' | 'ham';
    if (rnd() < 0.2) {
      kind = 'spam';
      text = `${pick(SPAM)} ${pick(['sekarang', 'hari ini', 'secepatnya', 'sebelum kehabisan'])}, ${pick(['gratis', 'terbatas', 'resmi', 'terpercaya'])}.`;
    } else {
      kind = 'ham';
      const parts = [`${pick(GREETINGS)} ${pick(PEOPLE)},`, `${pick(['aku', 'kita', 'saya'])} ${pick(ACTIONS)} ${pick(PLACES)} ${pick(TIMES)}.`];
      if (rnd() < 0.7) parts.push(pick(CHAT));
      if (rnd() < 0.3) parts.push(pick(['Oke?', 'Makasih ya.', 'Ditunggu.', 'Salam buat keluarga.', 'Sampai ketemu.']));
      text = parts.join(' ');
    }
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text, kind });
  }
  if (out.length < count) throw new Error(`only ${out.length} distinct texts for ${count}`);
  return out;
}
