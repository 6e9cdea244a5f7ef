/**
 * A synthetic labelled SMS set in Indonesian (with some Spanish and emoji): 0 normal, 1 fraud,
 * 2 promo, made from templates and word lists with a seeded generator, so tests of the retrain
 * path do not depend on any real data file. Noisy on purpose: shared words across classes,
 * casing, typos and abbreviations.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

const NAMES = ['Budi', 'Sari', 'Andi', 'Dewi', 'Rina', 'Agus', 'Putri', 'Joko', 'Maya', 'Eko'];
const PLACES = ['kantor', 'rumah', 'pasar', 'kampus', 'warung', 'stasiun', 'mall', 'masjid', 'sekolah'];
const TIMES = ['jam 5', 'nanti sore', 'besok pagi', 'jam 7 malam', 'habis maghrib', 'minggu depan', 'sebentar lagi'];
const AMOUNTS = ['10 juta', '5 jt', 'Rp 2.500.000', '100rb', '50 juta', 'Rp500.000', '1 unit motor'];
const PHONES = () => `08${rint(11, 99)}${rint(1000, 9999)}${rint(100, 999)}`;
const PRODUCTS = ['pulsa', 'kuota internet', 'paket data', 'baju lebaran', 'sepatu', 'skincare', 'voucher makan', 'tiket konser'];

const NORMAL = [
  () => `${pick(NAMES)}, aku udah di ${pick(PLACES)} ya`,
  () => `Jadi ketemu ${pick(TIMES)} di ${pick(PLACES)}?`,
  () => `Makasih ya ${pick(NAMES)}, nanti aku transfer uangnya ${pick(TIMES)}`,
  () => `Bu, aku pulang ${pick(TIMES)}, jangan lupa makan`,
  () => `Otw ${pick(PLACES)}, macet bgt`,
  () => `Tolong beliin ${pick(PRODUCTS)} ya kalau lewat ${pick(PLACES)}`,
  () => `Rapat dipindah ${pick(TIMES)}, kabari yang lain`,
  () => `Selamat ulang tahun ${pick(NAMES)}! Semoga sehat selalu 🎉`,
  () => `Aku telat dikit, tunggu di ${pick(PLACES)} ya`,
  () => `Kamu udah makan belum? Aku di ${pick(PLACES)} nih`,
  () => `Hola ${pick(NAMES)}, ¿nos vemos ${pick(['mañana', 'luego', 'el lunes'])}?`,
  () => `Pak, laporan sudah saya kirim ke email, mohon dicek ${pick(TIMES)}`,
  () => `Nomor baru aku ${PHONES()}, simpan ya`,
];
const FRAUD = [
  () => `Selamat! Nomor Anda memenangkan hadiah ${pick(AMOUNTS)} dari ${pick(['Telkomsel', 'Shopee', 'Bank BRI', 'Indosat'])}. Hubungi ${PHONES()}`,
  () => `Anda pemenang undian ${pick(AMOUNTS)}, segera transfer biaya admin ke rek ${rint(1000000, 9999999)}`,
  () => `Mama minta tolong kirim pulsa ${pick(['100rb', '50rb', '200rb'])} ke nomor ${PHONES()} ini, penting`,
  () => `REKENING ANDA DIBLOKIR. Verifikasi data di http://bri-${pick(['verif', 'aman', 'login'])}.com/${rint(100, 999)} sebelum 24 jam`,
  () => `Pinjaman cepat tanpa jaminan cair ${pick(['1 jam', 'hari ini', '5 menit'])}, hubungi WA ${PHONES()}`,
  () => `Kode OTP anda ${rint(100000, 999999)}, jangan berikan. Petugas kami akan menghubungi ${PHONES()}`,
  () => `Paket anda tertahan di bea cukai, bayar ${pick(['Rp250.000', '300rb', 'Rp 1.500.000'])} ke ${PHONES()}`,
  () => `¡Felicidades! Ganaste ${pick(['1000 euros', 'un iPhone'])}, llama al ${PHONES()}`,
];
const PROMO = [
  () => `PROMO ${pick(PRODUCTS).toUpperCase()} diskon ${rint(20, 90)}%! Beli sekarang di ${pick(['tokoku.id', 'shp.ee/xyz', 'promo.co'])}`,
  () => `Dapatkan ${pick(PRODUCTS)} ${pick(['10GB', '25GB', 'GRATIS'])} cuma ${pick(['Rp10rb', 'Rp25.000', '5rb'])}! Ketik REG ${rint(1, 9)} kirim ke ${rint(100, 999)}`,
  () => `Flash sale ${pick(TIMES)}! ${pick(PRODUCTS)} mulai ${pick(['Rp9.900', '19rb', 'Rp1'])}, buruan 🔥`,
  () => `Cashback ${rint(10, 50)}% pakai kode ${pick(['HEMAT', 'LEBARAN', 'PAYDAY'])}${rint(10, 99)} di aplikasi kami`,
  () => `Info: tarif nelpon murah ${pick(['Rp1/detik', 'gratis 100 menit'])}, aktifkan di *${rint(100, 999)}#`,
  () => `Gratis ongkir se-Indonesia khusus ${pick(TIMES)}! Belanja ${pick(PRODUCTS)} sekarang`,
  () => `Oferta: ${pick(PRODUCTS)} ${rint(20, 70)}% de descuento solo hoy`,
];

let rng = xoroshiro128plus(1);
function rint(lo: number, hi: number): number {
  const [v, next] = [uniformInt(rng, lo, hi), rng];
  rng = next;
  return v;
}
function pick<T>(xs: readonly T[]): T {
  return xs[rint(0, xs.length - 1)]!;
}

function noise(text: string): string {
  const r = rint(0, 9);
  if (r === 0) return text.toUpperCase();
  if (r === 1) return text.toLowerCase();
  if (r === 2) return text.replaceAll('ya', 'y').replaceAll('aku', 'ak');
  return text;
}

/** n rows {text, label} with labels "0" (55%), "1" (25%), "2" (20%); same seed, same rows. */
export function syntheticSms(n: number, seed = 1): { text: string; label: string }[] {
  rng = xoroshiro128plus(seed);
  const rows: { text: string; label: string }[] = [];
  for (let i = 0; i < n; i++) {
    const r = rint(0, 99);
    const [label, templates] = r < 55 ? ['0', NORMAL] : r < 80 ? ['1', FRAUD] : ['2', PROMO];
    rows.push({ text: noise(pick(templates)()), label });
  }
  return rows;
}

export function toCsv(rows: { text: string; label: string }[]): string {
  const field = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return 'text,label\n' + rows.map((r) => `${field(r.text)},${r.label}`).join('\n') + '\n';
}
